using System.Threading.Tasks;
using PlProxy.Client;

namespace Bank.Data;

[PlProxy("CLUSTER 'bank';")]
public interface IBroken
{
    [PlProxy("RUN ON hashtext(nobody);")]
    Task<int> UnknownArgumentAsync(string somebody);

    [PlProxy("RUN ON ALL;")]
    Task<int> AllWithoutASetAsync(string somebody);
}
